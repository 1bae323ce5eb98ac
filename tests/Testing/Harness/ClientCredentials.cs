namespace Messaging.Testing.Harness;

/// <summary>A gateway client created by <see cref="SystemFixture.AddClientAsync"/>.</summary>
public sealed record ClientCredentials(string ClientId, string Secret, string? CallbackSecret = null);
