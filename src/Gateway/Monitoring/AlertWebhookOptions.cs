using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// The alert webhook (section <c>Alerts:Webhook</c>): a JSON POST per alert firing or clearing, sent in the
/// background through its own resilience pipeline (timeout, retries, breaker). A slow or dead webhook never blocks
/// sampling or alerting: notifications wait in a bounded queue and the oldest are dropped when it is full.
/// </summary>
public sealed class AlertWebhookOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Alerts:Webhook";

    /// <summary>Gets or sets the URL to POST to; empty disables the webhook.</summary>
    /// <value>The default value is empty.</value>
    [Url(ErrorMessage = "Alerts:Webhook:Url must be an absolute http(s) URL.")]
    public string? Url { get; set; }

    /// <summary>Gets or sets the timeout of one POST attempt.</summary>
    /// <value>The default value is 5 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Alerts:Webhook:Timeout must be between 0.1 s and 1 min.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how many notifications may wait to be sent; beyond that the oldest is dropped.</summary>
    /// <value>The default value is 100.</value>
    [Range(1, 100_000, ErrorMessage = "Alerts:Webhook:QueueLimit must be between 1 and 100000.")]
    public int QueueLimit { get; set; } = 100;
}
