
namespace Messaging.Gateway.Tests.Auth;

/// <summary>What the probe endpoints answer.</summary>
public sealed record ProbeResponse(string? ClientId, string? Tenant, string? Scope);
