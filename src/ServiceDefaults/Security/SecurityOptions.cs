namespace Messaging.ServiceDefaults.Security;

/// <summary>
/// What a host refuses to start with in the Production environment (section <c>Security</c>). The checks themselves
/// are not settings: the shipped passwords and plain http beyond loopback are refused unless stated otherwise here.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Security";

    /// <summary>
    /// Gets or sets whether a host in Production may start with the passwords shipped in appsettings.json and
    /// docker-compose.yml (<c>Password=messaging</c> for PostgreSQL, <c>guest:guest</c> for RabbitMQ). Meant for local
    /// benchmarks that run the hosts in Production against local services; a warning naming the keys is logged at start.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AllowDefaultCredentials { get; set; }
}
