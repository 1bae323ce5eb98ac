using MassTransit;
using Messaging.Resilience.Classification;

namespace Messaging.Workers.Flow;

/// <summary>
/// The first step of a command endpoint's error pipe: a message whose processing was interrupted (the
/// host stopping, the infrastructure unreachable) is returned to the queue (the exception is rethrown, so
/// the message is negatively acknowledged with requeue) rather than moved to the <c>_error</c> queue, which
/// is for messages that fault by themselves and is drained into the dead-letter store.
/// </summary>
internal sealed class ReturnToQueueFilter : IFilter<ExceptionReceiveContext>
{
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var exception = context.Exception;

        // PostgreSQL unreachable or a breaker open is not the message's fault. Provider failures never get here
        // as such: the executor handles them (retry, deferral, dead letter) and only lets infrastructure failures out.
        if (exception is OperationCanceledException || context.CancellationToken.IsCancellationRequested
            || DependencyUnavailable.IsPostgresUnavailable(exception))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();
        }

        await next.Send(context).ConfigureAwait(false);
    }

    public void Probe(ProbeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.CreateFilterScope("returnToQueue");
    }
}
