using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Deadlines;

namespace Messaging.Workers.Execution;

/// <summary>
/// Consume middleware of a command endpoint: reads the command's transport headers (tenant, type,
/// deadline, attempt) and puts an <see cref="ExecutionProfile"/> with the endpoint's declared dependencies
/// in the consume context's payload, where <see cref="CommandExecutor"/> and the handler's calls find it.
/// Headers that are missing or unreadable are recorded as the profile's <see cref="ExecutionProfile.HeaderProblem"/>:
/// the executor dead-letters the message as poison. The consumer definition adds the filter to its endpoint
/// (<see cref="CommandConsumerDefinition{TMessage}"/>).
/// </summary>
internal sealed partial class ExecutionProfileFilter<TMessage>(string commandType, IReadOnlyList<string> dependencies, ILogger logger)
    : IFilter<ConsumeContext<TMessage>>
    where TMessage : class, ICommandMessage
{
    public Task Send(ConsumeContext<TMessage> context, IPipe<ConsumeContext<TMessage>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var message = context.Message;
        var headers = CommandHeaders.Read(context.Headers);
        var problem = headers.Problem(commandType, message.Tenant);
        if (problem is not null)
        {
            Log.HeadersUnusable(logger, message.CommandId, commandType);
        }

        var profile = new ExecutionProfile(
            message.CommandId,
            commandType,
            headers.Tenant ?? message.Tenant,
            headers.Deadline is { } at ? new Deadline(at) : null,
            headers.Attempt ?? 1,
            dependencies,
            problem);
        context.AddOrUpdatePayload(() => profile, _ => profile);
        return next.Send(context);
    }

    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = context.CreateFilterScope("executionProfile");
        scope.Add("commandType", commandType);
        scope.Add("dependencies", dependencies);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4007, EventName = "CommandHeadersUnusable", Level = LogLevel.Warning,
            Message = "Command {CommandId} ({CommandType}) carries missing or unreadable transport headers; it is dead-lettered as poison")]
        public static partial void HeadersUnusable(ILogger logger, Guid commandId, string commandType);
    }
}
