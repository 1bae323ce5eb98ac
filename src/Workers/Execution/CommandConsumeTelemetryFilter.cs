using System.Diagnostics;
using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Store.Telemetry;

namespace Messaging.Workers.Execution;

/// <summary>
/// Consume middleware of a command endpoint: tags MassTransit's consume span with the command's id, type and
/// tenant, and opens a logging scope with them around everything the delivery logs (retries included when it
/// is added before the retry filter). Add it in the consumer definition:
/// <c>endpointConfigurator.UseFilter(new CommandConsumeTelemetryFilter&lt;TMessage&gt;(commandType, logger))</c>.
/// </summary>
/// <typeparam name="TMessage">The command message.</typeparam>
internal sealed class CommandConsumeTelemetryFilter<TMessage>(string commandType, ILogger logger) : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    /// <inheritdoc />
    public async Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var message = context.Message;
        CommandTelemetry.Tag(Activity.Current, message.CommandId, commandType, message.Tenant);
        using (logger.BeginScope(CommandTelemetry.ScopeState(message.CommandId, commandType, message.Tenant)))
        {
            await next.Send(context).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CreateFilterScope("commandTelemetry").Add("commandType", commandType);
    }
}
