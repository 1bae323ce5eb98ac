namespace Messaging.Client;

/// <summary>An alert that is firing.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Severity">Its severity.</param>
/// <param name="Since">Since when it fires.</param>
/// <param name="Message">What it says.</param>
public sealed record AlertInfo(string Rule, string? Severity, DateTimeOffset? Since, string? Message);
