using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Settings of the commands API (section <c>Commands</c>). Each type's own settings (<c>Commands:Types:&lt;type&gt;</c>,
/// its default timeout among them) come with its registration: see <c>CommandTypeOptions</c>.
/// </summary>
public sealed class CommandsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Commands";

    /// <summary>How long an <c>Idempotency-Key</c> is remembered per tenant (the API promises at least 24 hours).</summary>
    /// <value>The default value is 24 hours.</value>
    [Range(typeof(TimeSpan), "1.00:00:00", "30.00:00:00")]
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}
