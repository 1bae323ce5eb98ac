namespace Messaging.ServiceDefaults.Management;

/// <summary>Where the health and metrics endpoints are served (section <c>Management</c>).</summary>
public sealed class ManagementOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Management";

    /// <summary>
    /// Gets or sets the addresses of a separate management listener, separated by <c>;</c> as in <c>Urls</c>, each with an
    /// explicit port (for example <c>http://127.0.0.1:5089</c>). When set, Kestrel listens on these as well as on
    /// <c>Urls</c>, and <c>/health/*</c> and <c>/metrics</c> are served only on these ports (404 on the public ones).
    /// </summary>
    /// <value>The default value is empty: the endpoints stay on the public port, where <c>/health/ready</c> answers
    /// from a report at most one second old.</value>
    public string? Urls { get; set; }
}
