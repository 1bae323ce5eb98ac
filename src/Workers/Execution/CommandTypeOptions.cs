namespace Messaging.Workers.Execution;

/// <summary>
/// How one command type's endpoint consumes (named options per type, section
/// <c>Commands:Types:&lt;type&gt;</c>, for example <c>Commands:Types:payments.charge:ConcurrencyLimit</c>).
/// </summary>
public sealed class CommandTypeOptions
{
    /// <summary>The configuration section that holds one subsection per command type.</summary>
    public const string SectionName = "Commands:Types";

    /// <summary>Messages handled at once by one worker instance; also the broker prefetch.</summary>
    /// <value>The default value is 8.</value>
    public int ConcurrencyLimit { get; set; } = 8;

    /// <summary>Redeliveries after a transient failure before the message moves to the endpoint's error queue.</summary>
    /// <value>The default value is 3.</value>
    public int RetryLimit { get; set; } = 3;

    /// <summary>The first wait before a redelivery; later ones grow exponentially.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before a redelivery.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(30);
}
