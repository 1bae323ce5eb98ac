using System.Globalization;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Signing;
using Messaging.Store.Outbox;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.Execution;

/// <summary>
/// A command the gateway published straight to RabbitMQ while PostgreSQL was down
/// (<c>Messaging-Accepted-Via: direct</c>): it has no status row until a worker creates one from the
/// message and its headers (tenant, client, deadline, idempotency key), which is what this carries.
/// </summary>
/// <param name="Row">The status row to create.</param>
/// <param name="Idempotency">The caller's idempotency key with its request hash and expiry, when one was given.</param>
internal sealed record DirectlyPublishedCommand(CommandRow Row, DirectIdempotencyKey? Idempotency)
{
    // The gateway remembers keys at least this long; used when the expiry header is missing.
    private static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(24);

    /// <summary>
    /// The row to create for <paramref name="context"/>'s message, or null when the message is not marked
    /// as published directly (a missing row is then not ours to create).
    /// </summary>
    public static DirectlyPublishedCommand? From<TMessage>(ConsumeContext<TMessage> context, CommandDescriptor descriptor, ExecutionProfile profile, DateTimeOffset now)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(profile);
        var headers = context.Headers;
        if (!string.Equals(Text(headers, MessageHeaders.AcceptedVia), CommandAccepted.ViaDirect, StringComparison.Ordinal) || profile.Deadline is not { } deadline)
        {
            return null;
        }

        var message = context.Message;
        var acceptedAt = CommandRows.TruncateToMicroseconds(context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : now);
        var key = Text(headers, MessageHeaders.IdempotencyKey);
        var row = new CommandRow(message.CommandId, profile.Tenant, Text(headers, MessageHeaders.Client) ?? "", descriptor.TypeName,
            CommandRows.PayloadOf(message), key, deadline.At, acceptedAt);

        DirectIdempotencyKey? idempotency = null;
        if (key is not null && Hash(Text(headers, MessageHeaders.IdempotencyHash)) is { } hash)
        {
            var expires = DateTimeOffset.TryParse(Text(headers, MessageHeaders.IdempotencyExpires), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : acceptedAt + DefaultRetention;
            idempotency = new DirectIdempotencyKey(key, hash, expires);
        }

        return new DirectlyPublishedCommand(row, idempotency);
    }

    /// <summary>Whether the delivery's <c>Messaging-Signature</c> signs its message and headers (<see cref="DirectCommandSignature"/>).</summary>
    public bool IsSignedBy<TMessage>(MessageSigner signer, ConsumeContext<TMessage> context)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Headers;
        return DirectCommandSignature.Verify(signer, Text(headers, MessageHeaders.Signature), context.Message, name => Text(headers, name));
    }

    /// <summary>The delivery's headers as text, for a dead letter.</summary>
    public static IReadOnlyDictionary<string, string> HeadersOf(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Headers.GetAll()
            .Where(h => h.Value is not null)
            .GroupBy(h => h.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Value.ToString() ?? "", StringComparer.Ordinal);
    }

    private static string? Text(Headers headers, string name)
    {
        var value = headers.TryGetHeader(name, out var raw) ? raw?.ToString() : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static byte[]? Hash(string? base64)
    {
        if (base64 is null)
        {
            return null;
        }

        var bytes = new byte[32];
        return Convert.TryFromBase64String(base64, bytes, out var written) && written == 32 ? bytes : null;
    }
}

/// <summary>An idempotency key seen by the gateway during the fallback, to reconcile into <c>idempotency_keys</c>.</summary>
internal sealed record DirectIdempotencyKey(string Key, byte[] RequestHash, DateTimeOffset ExpiresAt);
