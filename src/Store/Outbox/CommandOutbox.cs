using Messaging.Contracts.Commands;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Store.Outbox;

/// <summary>
/// The outbox as a library: a service that keeps its own data in the gateway's PostgreSQL database
/// enqueues a command inside its own <see cref="NpgsqlTransaction"/>, so its business change and the
/// command commit or roll back together. It writes exactly what the gateway's HTTP API writes (the
/// <c>commands</c> status row, the idempotency record when a key is given, and the outbox row with the
/// same headers), so the command shows in the status API and in monitoring like any other, and the
/// outbox relay of any gateway delivers it (it polls for rows written by other processes).
/// </summary>
/// <remarks>
/// The payload is the caller's typed contract and is not validated the way the HTTP API validates JSON
/// from outside; a command the worker cannot execute ends like any poison message (dead-lettered).
/// Register it with <see cref="OutboxServiceCollectionExtensions.AddCommandOutbox"/>.
/// </remarks>
public sealed class CommandOutbox
{
    private const int MaxIdempotencyKeyLength = 255;
    private static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
    private static readonly TimeSpan MaxNotBeforeAhead = TimeSpan.FromDays(30);

    private readonly OutboxWriter _writer;
    private readonly TimeProvider _timeProvider;
    private readonly IOptionsMonitor<CommandOutboxOptions> _options;
    private readonly CommandTypeRegistry _commandTypes;

    /// <summary>Creates the outbox; prefer resolving it from the container.</summary>
    public CommandOutbox(OutboxWriter writer, CommandTypeRegistry commandTypes, TimeProvider timeProvider, IOptionsMonitor<CommandOutboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(commandTypes);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(options);
        _writer = writer;
        _commandTypes = commandTypes;
        _timeProvider = timeProvider;
        _options = options;
    }

    /// <summary>
    /// Adds <paramref name="command"/> to the outbox within <paramref name="transaction"/>. Nothing is
    /// visible to anyone until the caller commits; a rollback leaves no trace.
    /// </summary>
    /// <typeparam name="TCommand">The message of a registered command type (<see cref="CommandTypeRegistry"/>), for example <c>ChargePayment</c>.</typeparam>
    /// <param name="transaction">The caller's open transaction on the gateway's database.</param>
    /// <param name="command">
    /// The command. Its <see cref="ICommandMessage.CommandId"/> becomes the command id (use
    /// <c>Guid.CreateVersion7()</c>; it is known before the commit, so the caller can store it with its own
    /// data) and its <see cref="ICommandMessage.Tenant"/> the owning tenant.
    /// </param>
    /// <param name="options">Who enqueues it, and optionally an idempotency key and a timeout or deadline.</param>
    /// <param name="cancellationToken">Cancels the writes (the caller then rolls back).</param>
    /// <returns>
    /// The command id, or, when <see cref="CommandEnqueueOptions.IdempotencyKey"/> was already used for the
    /// same request of this tenant (through this library or the HTTP API), the id of that first command,
    /// with <see cref="EnqueuedCommand.Replayed"/> set and nothing written.
    /// </returns>
    /// <exception cref="ArgumentException">An unknown command type, an empty id or tenant, or an invalid option.</exception>
    /// <exception cref="IdempotencyKeyReusedException">The key was used for a different request of this tenant.</exception>
    public async Task<EnqueuedCommand> EnqueueAsync<TCommand>(
        NpgsqlTransaction transaction, TCommand command, CommandEnqueueOptions options, CancellationToken cancellationToken = default)
        where TCommand : ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(options);
        if (!_commandTypes.TryGetByMessageType(command.GetType(), out var descriptor))
        {
            throw new ArgumentException($"{command.GetType().Name} is not the message of a registered command type (AddCommandType).", nameof(command));
        }

        if (command.CommandId == Guid.Empty)
        {
            throw new ArgumentException("The command needs a CommandId (for example Guid.CreateVersion7()).", nameof(command));
        }

        if (string.IsNullOrWhiteSpace(command.Tenant))
        {
            throw new ArgumentException("The command needs a Tenant.", nameof(command));
        }

        Validate(options);
        var settings = _options.CurrentValue;
        var now = CommandRows.TruncateToMicroseconds(_timeProvider.GetUtcNow());
        var notBefore = options.NotBefore is { } due ? CommandRows.TruncateToMicroseconds(due.ToUniversalTime()) : (DateTimeOffset?)null;
        if (notBefore > now + MaxNotBeforeAhead)
        {
            throw new ArgumentException($"NotBefore may be at most {MaxNotBeforeAhead.TotalDays:0} days ahead.", nameof(options));
        }

        var start = notBefore > now ? notBefore.Value : now;
        var deadline = options.Deadline ?? start + (options.Timeout ?? settings.DefaultTimeout);
        var payload = CommandRows.PayloadOf(command);
        var row = new CommandRow(command.CommandId, command.Tenant, options.ClientId, descriptor.TypeName, payload, options.IdempotencyKey, deadline, now,
            notBefore);

        byte[]? requestHash = null;
        if (options.IdempotencyKey is { } key)
        {
            int? timeoutSeconds = options.Timeout is { } timeout ? (int)timeout.TotalSeconds : null;
            requestHash = CommandRows.RequestHash(descriptor.TypeName, timeoutSeconds, payload, notBefore);
            var claim = await CommandLedger.ClaimIdempotencyKeyAsync(transaction, command.Tenant, key, now, wait: true, cancellationToken).ConfigureAwait(false);
            switch (claim)
            {
                case IdempotencyClaim.Stored stored when stored.RequestHash.AsSpan().SequenceEqual(requestHash):
                    return new EnqueuedCommand(stored.CommandId, Replayed: true);
                case IdempotencyClaim.Stored:
                    throw new IdempotencyKeyReusedException(key);
            }
        }

        await CommandLedger.InsertCommandAsync(transaction, row, cancellationToken).ConfigureAwait(false);
        if (options.IdempotencyKey is { } storedKey)
        {
            // The same 202 body the HTTP API stores, so a later HTTP request with this key replays it.
            var response = CommandRows.AcceptedResponseJson(row.Id, descriptor.TypeName, CommandAccepted.ViaOutbox,
                row.IsScheduled ? CommandStatus.Scheduled : CommandStatus.Accepted);
            await CommandLedger.InsertIdempotencyKeyAsync(transaction, row, storedKey, requestHash!, 202, response, now + settings.IdempotencyRetention, cancellationToken)
                .ConfigureAwait(false);
        }

        await _writer.EnqueueAsync(transaction, CommandRows.ToOutboxMessage(row, descriptor, command), cancellationToken).ConfigureAwait(false);
        return new EnqueuedCommand(row.Id, Replayed: false);
    }

    private static void Validate(CommandEnqueueOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            throw new ArgumentException("ClientId is required: it names who enqueued the command.", nameof(options));
        }

        if (options.IdempotencyKey is { } key && (key.Length is 0 or > MaxIdempotencyKeyLength || key.Any(c => c is < '!' or > '~')))
        {
            throw new ArgumentException($"IdempotencyKey must be 1 to {MaxIdempotencyKeyLength} visible ASCII characters.", nameof(options));
        }

        if (options.Timeout is { } timeout && (timeout < MinTimeout || timeout > MaxTimeout || timeout.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentException("Timeout must be whole seconds from 1 second to 1 day.", nameof(options));
        }

        if (options.Timeout is not null && options.Deadline is not null)
        {
            throw new ArgumentException("Give a Timeout or a Deadline, not both.", nameof(options));
        }
    }

}
