namespace Messaging.Client;

/// <summary>A page of <c>GET /api/commands</c>, newest first.</summary>
/// <param name="Items">The commands of this page.</param>
/// <param name="NextCursor">Pass it as <see cref="CommandListQuery.Cursor"/> for the next page; null on the last page.</param>
public sealed record CommandPage(IReadOnlyList<CommandInfo> Items, string? NextCursor);
