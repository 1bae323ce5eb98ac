using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Messaging.Gateway.Clients;
using Microsoft.Extensions.Options;

namespace Messaging.Benchmarks;

/// <summary>
/// The CPU of the secret check in one token request: for an unknown (well-formed) client id under the old scheme
/// (PBKDF2-HMAC-SHA256 with 100,000 iterations against a dummy hash, what every such request cost before; the
/// baseline), under the new one (HMAC-SHA256 under the pepper against a dummy, through <see cref="ClientSecretHasher"/>),
/// a right secret against an HMAC hash, and a right secret against a legacy PBKDF2 hash of 100,000 iterations (what
/// each <c>RateLimiting:LegacySecretChecks</c> permit costs until the client is re-hashed). Single-threaded, no I/O.
/// </summary>
[MemoryDiagnoser]
public class ClientSecretBenchmarks
{
    private const int OldIterations = 100_000;
    private readonly string _secret = ClientCredentials.NewSecret();
    private readonly byte[] _oldDummySalt = RandomNumberGenerator.GetBytes(16);
    private readonly byte[] _oldDummyHash = RandomNumberGenerator.GetBytes(32);
    private ClientSecretHasher _hasher = null!;
    private string _hmacHash = null!;
    private string _legacyHash = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new ClientSecretHashingOptions();
        options.SecretPeppers["bench"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _hasher = new ClientSecretHasher(Options.Create(options));
        _hmacHash = _hasher.Hash(_secret);
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(_secret, salt, OldIterations, HashAlgorithmName.SHA256, 32);
        _legacyHash = $"pbkdf2-sha256${OldIterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Before: what the gateway did for an unknown client id (the old ClientSecretHasher's dummy check).</summary>
    [Benchmark(Baseline = true)]
    public bool UnknownClient_OldPbkdf2Dummy() =>
        CryptographicOperations.FixedTimeEquals(
            Rfc2898DeriveBytes.Pbkdf2(_secret, _oldDummySalt, OldIterations, HashAlgorithmName.SHA256, 32), _oldDummyHash);

    /// <summary>After: the same request now.</summary>
    [Benchmark]
    public bool UnknownClient_HmacDummy() => _hasher.Verify(_secret, storedHash: null);

    /// <summary>After: a client's right secret against its HMAC hash.</summary>
    [Benchmark]
    public bool KnownClient_Hmac() => _hasher.Verify(_secret, _hmacHash);

    /// <summary>A client not yet re-hashed: its right secret against its PBKDF2 hash (limited per client id).</summary>
    [Benchmark]
    public bool LegacyClient_Pbkdf2() => _hasher.Verify(_secret, _legacyHash);
}
