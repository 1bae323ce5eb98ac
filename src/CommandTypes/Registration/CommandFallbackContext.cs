using Messaging.Contracts.Commands;

namespace Messaging.CommandTypes;

/// <summary>The dead-lettered command's facts, and what a fallback may do within the dead letter's transaction.</summary>
public abstract class CommandFallbackContext
{
    /// <summary>The dead-lettered command's id.</summary>
    public abstract Guid CommandId { get; }

    /// <summary>Its tenant: everything the fallback does belongs to it.</summary>
    public abstract string Tenant { get; }

    /// <summary>The client that submitted it.</summary>
    public abstract string ClientId { get; }

    /// <summary>Its deadline, if it has one.</summary>
    public abstract DateTimeOffset? Deadline { get; }

    /// <summary>Why it was dead-lettered (safe to show the tenant).</summary>
    public abstract string Reason { get; }

    /// <summary>The time of the dead letter.</summary>
    public abstract DateTimeOffset Now { get; }

    /// <summary>Cancels the fallback's writes (the dead letter's transaction then rolls back).</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Publishes <paramref name="event"/> through the outbox (by its type), once the dead letter commits.</summary>
    public abstract Task PublishAsync<TEvent>(TEvent @event)
        where TEvent : class;

    /// <summary>
    /// Submits a new command of a registered type, of the same tenant and client and with the same deadline,
    /// as the gateway would: it is stored and sent once the dead letter commits.
    /// </summary>
    /// <param name="createCommand">Makes the command from its new id.</param>
    /// <returns>The new command's id.</returns>
    public abstract Task<Guid> SubmitAsync<TCommand>(Func<Guid, TCommand> createCommand)
        where TCommand : class, ICommandMessage;

    /// <summary>Stores <paramref name="result"/> (camelCase JSON) as the dead-lettered command's result, to say what the fallback did.</summary>
    public abstract Task SetResultAsync<TResult>(TResult result);
}
