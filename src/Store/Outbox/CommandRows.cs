using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts;
using Messaging.Contracts.Commands;

namespace Messaging.Store.Outbox;

/// <summary>
/// The shapes of a command's rows, shared by every way in (the gateway's HTTP API, the outbox library
/// <see cref="CommandOutbox"/>, a fallback's new command), so all write the same rows: the <c>commands</c>
/// status row, the idempotency hash and stored 202 body, and the outbox message with the same headers.
/// No SQL: <see cref="CommandLedger"/> writes the rows.
/// </summary>
public static class CommandRows
{
    /// <summary>How request payloads, stored responses and message bodies are written: camelCase, enums as strings, no nulls.</summary>
    public static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// The hash that tells "the same request again" from "another request with the same key": the type,
    /// the timeout in seconds (empty when absent) and the normalised payload, each separated by a NUL
    /// byte so no two different triples hash the same input. Parts added later (<paramref name="notBefore"/>,
    /// then <paramref name="callbackUrl"/>) join the input only when present, each with its own label, so a key
    /// stored before they existed still matches its request.
    /// </summary>
    public static byte[] RequestHash(string typeName, int? timeoutSeconds, string payload, DateTimeOffset? notBefore = null, string? callbackUrl = null)
    {
        var input = new StringBuilder(typeName.Length + payload.Length + 64)
            .Append(typeName).Append('\0')
            .Append(timeoutSeconds?.ToString(CultureInfo.InvariantCulture)).Append('\0')
            .Append(payload);
        if (notBefore is { } due)
        {
            input.Append("\0not-before=").Append(due.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        }

        if (callbackUrl is not null)
        {
            input.Append("\0callback-url=").Append(callbackUrl);
        }

        return SHA256.HashData(Encoding.UTF8.GetBytes(input.ToString()));
    }

    /// <summary>The advisory lock key for an idempotency key: the first 8 bytes of SHA-256 over a prefix, the tenant and the key.</summary>
    public static long IdempotencyLockKey(string tenant, string key)
    {
        var input = Encoding.UTF8.GetBytes($"idempotency\0{tenant}\0{key}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }

    /// <summary>
    /// The 202 body the gateway answers (and stores for idempotent replays) for a command accepted through
    /// <paramref name="acceptedVia"/> (<c>outbox</c> or <c>direct</c>), with its <paramref name="status"/> at acceptance.
    /// </summary>
    public static string AcceptedResponseJson(Guid id, string typeName, string acceptedVia, CommandStatus status = CommandStatus.Accepted) =>
        JsonSerializer.Serialize(new CommandAccepted(id, typeName, status, CommandAccepted.StatusUrlFor(id), acceptedVia), StoredJson);

    /// <summary>The request fields as the HTTP API stores them: the message without its envelope (id and tenant).</summary>
    public static string PayloadOf(ICommandMessage command)
    {
        var node = JsonSerializer.SerializeToNode(command, command.GetType(), StoredJson)!.AsObject();
        node.Remove(JsonNamingPolicy.CamelCase.ConvertName(nameof(ICommandMessage.CommandId)));
        node.Remove(JsonNamingPolicy.CamelCase.ConvertName(nameof(ICommandMessage.Tenant)));
        return node.ToJsonString(StoredJson);
    }

    /// <summary>
    /// The outbox message of a new command: its wire message as the body, and the headers every hop
    /// reads (tenant, client, type, deadline, attempt 1, and the W3C trace context of the current activity,
    /// which the relay restores so one trace spans the writer, the relay, the worker and the provider).
    /// </summary>
    public static OutboxMessage ToOutboxMessage(CommandRow row, CommandDescriptor descriptor, ICommandMessage message)
    {
        // Header values are strings: the relay reads them as Dictionary<string, string>.
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Tenant] = row.Tenant,
            [MessageHeaders.Client] = row.ClientId,
            [MessageHeaders.CommandType] = descriptor.TypeName,
            [MessageHeaders.Deadline] = HeaderInstant(row.Deadline),
            [MessageHeaders.Attempt] = "1",
        };

        TraceContextHeaders.AddCurrent(headers);

        return new OutboxMessage(
            row.Id,
            descriptor.QueueName,
            descriptor.MessageType.FullName!,
            JsonSerializer.Serialize(message, message.GetType(), StoredJson),
            headers,
            NotBefore: row.DueAt);
    }

    /// <summary>An instant as message headers carry it (<c>Messaging-Deadline</c>): ISO 8601 in UTC.</summary>
    public static string HeaderInstant(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A time as PostgreSQL stores it (microseconds), so what is returned equals what is read back.</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}
