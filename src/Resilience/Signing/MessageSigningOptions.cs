namespace Messaging.Resilience.Signing;

/// <summary>
/// Keys that sign the messages the processes trust each other for (section <c>Messaging</c>): commands the gateway
/// publishes straight to RabbitMQ while PostgreSQL is down, and breaker-control messages on Redis.
/// </summary>
public sealed class MessageSigningOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Messaging";

    /// <summary>
    /// HMAC-SHA256 keys, each base64 of at least 32 random bytes: the first signs, all verify (rotation: put the new
    /// key first on every process, and drop the old one once no message it signed can still be in flight). Required;
    /// every gateway and worker must share them. Outside Development the key shipped in
    /// <c>appsettings.Development.json</c> is refused.
    /// </summary>
    public List<string> SigningKeys { get; set; } = [];
}
