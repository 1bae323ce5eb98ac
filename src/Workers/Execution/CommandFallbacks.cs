using System.Text.Json;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Store.Outbox;
using Npgsql;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.Execution;

/// <summary>A command row as the dead-letter path reads it (locked for the transaction).</summary>
/// <param name="Id">The command id.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="ClientId">The client that submitted it.</param>
/// <param name="Status">Its status, or null when the stored text is not a known status.</param>
/// <param name="Deadline">Its deadline, if any.</param>
/// <param name="FirstFailureAt">When it first failed, if it did.</param>
internal sealed record StoredCommand(Guid Id, string Tenant, string ClientId, CommandStatus? Status, DateTimeOffset? Deadline, DateTimeOffset? FirstFailureAt);

/// <summary>
/// Runs the fallback a command type's registration declares (<c>WithFallback</c>) when one of its commands is
/// dead-lettered: in the dead letter's own transaction, keeping the command's tenant and client. Events go
/// through the outbox and are published by type; new commands are written as every command is
/// (<see cref="CommandLedger"/>: a commands row and an outbox row).
/// </summary>
internal sealed class CommandFallbacks(
    IEnumerable<CommandTypeRegistration> registrations,
    CommandTypeRegistry commandTypes,
    OutboxWriter outbox,
    IServiceScopeFactory scopes)
{
    private readonly Dictionary<Type, CommandTypeRegistration> _byMessageType = registrations.ToDictionary(r => r.MessageType);
    private readonly CommandTypeRegistry _commandTypes = commandTypes;
    private readonly OutboxWriter _outbox = outbox;

    /// <summary>Runs the fallback of <paramref name="command"/>; returns what it did, for the log, or null when its type has none.</summary>
    public async Task<string?> RunAsync(NpgsqlTransaction transaction, ICommandMessage command, StoredCommand stored, string reason, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(stored);
        if (!_byMessageType.TryGetValue(command.GetType(), out var registration) || registration.RunFallback is not { } run)
        {
            return null;
        }

        await using var scope = scopes.CreateAsyncScope();
        var context = new TransactionFallbackContext(this, transaction, registration.TypeName, stored, reason, now, cancellationToken);
        return await run(scope.ServiceProvider, command, context).ConfigureAwait(false);
    }

    private static Dictionary<string, string> Headers(string tenant, string clientId, string commandType)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Tenant] = tenant,
            [MessageHeaders.Client] = clientId,
            [MessageHeaders.CommandType] = commandType,
        };
        TraceContextHeaders.AddCurrent(headers);

        return headers;
    }

    /// <summary>What a fallback may do, bound to the dead letter's transaction.</summary>
    private sealed class TransactionFallbackContext(
        CommandFallbacks owner, NpgsqlTransaction transaction, string commandType, StoredCommand stored, string reason, DateTimeOffset now,
        CancellationToken cancellationToken)
        : CommandFallbackContext
    {
        public override Guid CommandId => stored.Id;

        public override string Tenant => stored.Tenant;

        public override string ClientId => stored.ClientId;

        public override DateTimeOffset? Deadline => stored.Deadline;

        public override string Reason => reason;

        public override DateTimeOffset Now => now;

        public override CancellationToken CancellationToken => cancellationToken;

        public override Task PublishAsync<TEvent>(TEvent @event)
        {
            ArgumentNullException.ThrowIfNull(@event);
            var type = typeof(TEvent);
            var headers = Headers(stored.Tenant, stored.ClientId, commandType);
            return owner._outbox.EnqueueAsync(transaction, new OutboxMessage(stored.Id, $"{type.Namespace}:{type.Name}", type.FullName!,
                JsonSerializer.Serialize(@event, Execution.CommandDelivery.BodyJson), headers, now, OutboxMessageKind.Event), cancellationToken);
        }

        public override async Task<Guid> SubmitAsync<TCommand>(Func<Guid, TCommand> createCommand)
        {
            ArgumentNullException.ThrowIfNull(createCommand);
            if (!owner._commandTypes.TryGetByMessageType(typeof(TCommand), out var descriptor))
            {
                throw new InvalidOperationException($"{typeof(TCommand).Name} is not the message of a registered command type.");
            }

            var id = Guid.CreateVersion7(now);
            var command = createCommand(id);
            if (command.CommandId != id || !string.Equals(command.Tenant, stored.Tenant, StringComparison.Ordinal))
            {
                // A fallback keeps the caller's tenant: it never acts for another one.
                throw new InvalidOperationException("A fallback's command must have the id it was given and the dead-lettered command's tenant.");
            }

            var deadline = stored.Deadline ?? now + descriptor.DefaultTimeout;
            var row = new CommandRow(id, stored.Tenant, stored.ClientId, descriptor.TypeName, CommandRows.PayloadOf(command), IdempotencyKey: null,
                deadline, CommandRows.TruncateToMicroseconds(now));
            await CommandLedger.InsertCommandAsync(transaction, row, cancellationToken).ConfigureAwait(false);
            await owner._outbox.EnqueueAsync(transaction, CommandRows.ToOutboxMessage(row, descriptor, command), cancellationToken).ConfigureAwait(false);
            return id;
        }

        public override async Task SetResultAsync<TResult>(TResult result)
        {
            await CommandLedger.SetResultAsync(transaction, stored.Id, JsonSerializer.Serialize(result, Execution.CommandDelivery.BodyJson), cancellationToken)
                .ConfigureAwait(false);
        }
    }
}
