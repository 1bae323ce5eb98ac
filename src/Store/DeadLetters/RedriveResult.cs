namespace Messaging.Store.DeadLetters;

/// <summary>What a redrive did.</summary>
/// <param name="Redriven">Dead letters put back on the path (once each).</param>
/// <param name="Skipped">Matching dead letters that cannot be redriven (unreadable: no command to re-run).</param>
public sealed record RedriveResult(int Redriven, int Skipped);
