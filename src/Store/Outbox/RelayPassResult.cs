namespace Messaging.Store.Outbox;

/// <summary>What one relay pass did.</summary>
internal readonly record struct RelayPassResult(int Claimed, int Published, int Failed);
