using System.Text.Json;

namespace Messaging.Client;

/// <summary>
/// One command of a batch (<see cref="MessagingClient.SendBatchAsync"/>): its type, its body, and what a single send would
/// say in its headers (an idempotency key, a timeout, a not-before). Made with <see cref="For{TCommand}"/> or
/// <see cref="FromJson"/>, which check the options as <see cref="MessagingClient.SendAsync{TCommand}"/> does.
/// </summary>
public sealed class CommandBatchItem
{
    private CommandBatchItem(string type, JsonElement body, SendOptions? options)
    {
        SendOptionsWire.Validate(options, nameof(options));
        Type = type;
        Body = body;
        Options = options ?? new SendOptions();
    }

    /// <summary>The command type, for example <c>payments.charge</c>.</summary>
    public string Type { get; }

    /// <summary>The command's body, a JSON object of the type's fields.</summary>
    public JsonElement Body { get; }

    /// <summary>
    /// The item's idempotency key, timeout and not-before. Without a key the client makes one per
    /// <see cref="MessagingClient.SendBatchAsync"/> call, kept over that call's retries.
    /// </summary>
    public SendOptions Options { get; }

    /// <summary>An item of a typed request, as <see cref="MessagingClient.SendAsync{TCommand}"/> takes it.</summary>
    /// <typeparam name="TCommand">The request type; its <see cref="ICommandRequest.CommandType"/> is the item's type.</typeparam>
    /// <param name="command">The command's fields.</param>
    /// <param name="options">An idempotency key, a timeout and a not-before, all optional.</param>
    /// <exception cref="ArgumentException">An invalid idempotency key or timeout.</exception>
    public static CommandBatchItem For<TCommand>(TCommand command, SendOptions? options = null)
        where TCommand : ICommandRequest
    {
        ArgumentNullException.ThrowIfNull(command);
        return new CommandBatchItem(TCommand.CommandType, JsonSerializer.SerializeToElement(command, GatewayResponses.Json), options);
    }

    /// <summary>An item given as JSON, for types this client has no request record for (or tools that take JSON as input).</summary>
    /// <param name="commandType">The type name, for example <c>payments.charge</c>.</param>
    /// <param name="body">The body, a JSON object of the type's fields (copied: the item does not hold on to its document).</param>
    /// <param name="options">An idempotency key, a timeout and a not-before, all optional.</param>
    /// <exception cref="ArgumentException">An empty type, a body that is not an object, or an invalid idempotency key or timeout.</exception>
    public static CommandBatchItem FromJson(string commandType, JsonElement body, SendOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commandType);
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("The body must be a JSON object.", nameof(body));
        }

        return new CommandBatchItem(commandType, body.Clone(), options);
    }
}
