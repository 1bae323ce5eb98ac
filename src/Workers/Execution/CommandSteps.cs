using MassTransit;

namespace Messaging.Workers.Execution;

/// <summary>What the command steps (the endpoint's filters) share.</summary>
internal static class CommandSteps
{
    /// <summary>
    /// Ends the delivery at a step (its outcome is committed, or there is none to commit): the message counts
    /// as consumed, so it is acknowledged. A filter that returned without this would leave the message
    /// unconsumed, and MassTransit would move it to the <c>_skipped</c> queue.
    /// </summary>
    public static Task EndAsync<TMessage>(ConsumeContext<TMessage> context, string step)
        where TMessage : class =>
        context.NotifyConsumed(context, context.ReceiveContext.ElapsedTime, step);
}
