using MassTransit;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;

namespace Messaging.Workers.Execution;

/// <summary>
/// The consumer of every command type: hands each delivery and the type's handler to the
/// <see cref="CommandExecutor"/>, which runs the steps every command shares around the handler.
/// </summary>
internal sealed class CommandConsumer<TMessage>(CommandExecutor executor, ICommandHandler<TMessage> handler) : IConsumer<TMessage>
    where TMessage : class, ICommandMessage
{
    public Task Consume(ConsumeContext<TMessage> context) => executor.ExecuteAsync(context, handler);
}
