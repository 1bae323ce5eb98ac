namespace Messaging.System.Tests.Callbacks;

/// <summary>One request a <see cref="CallbackReceiver"/> received, and what it answered.</summary>
public sealed record ReceivedCallback(string Path, IReadOnlyDictionary<string, string> Headers, string Body, int Answered, DateTimeOffset At)
{
    /// <summary>The <c>webhook-id</c> header.</summary>
    public string WebhookId => Headers.GetValueOrDefault("webhook-id", "");
}
