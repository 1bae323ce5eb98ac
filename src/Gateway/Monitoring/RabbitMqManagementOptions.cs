using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Monitoring;

/// <summary>Where the RabbitMQ management HTTP API is (section <c>RabbitMq:Management</c>).</summary>
public sealed class RabbitMqManagementOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "RabbitMq:Management";

    /// <summary>
    /// Gets or sets the management API's base URL (<c>https://host:15671/</c>, credentials optional in the URL). When
    /// empty it is derived from <c>ConnectionStrings:RabbitMq</c>: the same host with the same credentials, on
    /// <c>https://…:15671</c> when AMQP is <c>amqps</c> and <c>http://…:15672</c> otherwise. The credentials go with every
    /// request, so in Production plain http is refused unless the host is a loopback address. The virtual host is always
    /// the AMQP URI's. While the API does not answer, queues are read over AMQP (passive declares: depth and consumers,
    /// with rates estimated from successive samples).
    /// </summary>
    /// <value>The default value is empty (derived).</value>
    [Url(ErrorMessage = "RabbitMq:Management:Url must be an absolute http(s) URL.")]
    public string? Url { get; set; }

    /// <summary>Gets or sets the timeout of one management API request.</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30", ErrorMessage = "RabbitMq:Management:Timeout must be between 0.1 s and 30 s.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Gets or sets how long queues are read over AMQP after the management API failed, before it is tried again.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "RabbitMq:Management:RetryAfter must be between 1 s and 1 h.")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(30);
}
