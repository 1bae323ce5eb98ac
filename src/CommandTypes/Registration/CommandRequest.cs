using Messaging.Contracts.Commands;

namespace Messaging.CommandTypes;

/// <summary>
/// The body of a command request: read strictly (unknown or duplicate properties, numbers in strings,
/// comments and trailing commas are refused), validated field by field, then normalised. The
/// normalised form is what is stored, hashed for idempotency and turned into the wire message.
/// </summary>
public abstract class CommandRequest
{
    // Only CommandRequest<TCommand> and the requests of types declared in configuration derive from it.
    private protected CommandRequest()
    {
    }

    /// <summary>Adds one message per failed rule, keyed by the camelCase field name.</summary>
    public abstract void Validate(ValidationErrors errors);

    /// <summary>The same request with cosmetic differences removed (for example trailing zeros of an amount).</summary>
    public abstract CommandRequest Normalise();

    /// <summary>The message the workers receive.</summary>
    public abstract ICommandMessage ToMessage(Guid commandId, string tenant);
}

/// <summary>
/// The body of a request for one command type, as the gateway reads it (camelCase JSON, read strictly):
/// validated field by field, normalised, then turned into the message <typeparamref name="TCommand"/>. Its
/// properties are the request's fields; make them nullable so a missing field is a validation error
/// rather than a JSON error.
/// </summary>
/// <typeparam name="TCommand">The message the workers receive.</typeparam>
public abstract class CommandRequest<TCommand> : CommandRequest
    where TCommand : class, ICommandMessage
{
    /// <summary>The message for a valid, normalised request.</summary>
    public abstract TCommand ToCommand(Guid commandId, string tenant);

    /// <inheritdoc />
    public sealed override ICommandMessage ToMessage(Guid commandId, string tenant) => ToCommand(commandId, tenant);
}
