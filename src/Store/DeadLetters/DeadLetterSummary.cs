namespace Messaging.Store.DeadLetters;

/// <summary>Waiting dead letters in total and by command type.</summary>
public sealed record DeadLetterSummary(long Total, IReadOnlyDictionary<string, long> ByType);
