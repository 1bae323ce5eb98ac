using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.Resilience.Signing;

/// <summary>
/// Signs and verifies the fields of a message the processes exchange with HMAC-SHA256 under
/// <c>Messaging:SigningKeys</c> (the first signs, all verify). The fields are encoded unambiguously (each with its
/// length, a missing one apart from an empty one), so no two field lists share a signature. A signature reads
/// <c>v1.&lt;base64&gt;</c>; anything else never verifies.
/// </summary>
public sealed class MessageSigner(IOptionsMonitor<MessageSigningOptions> options)
{
    private const string Prefix = "v1.";
    private Snapshot? _snapshot;

    /// <summary>The signature of <paramref name="fields"/> under the first key.</summary>
    public string Sign(params ReadOnlySpan<string?> fields)
    {
        var keys = Keys;
        if (keys.Length == 0)
        {
            throw new InvalidOperationException("Messaging:SigningKeys has no key: messages cannot be signed.");
        }

        var mac = HMACSHA256.HashData(keys[0], Encode(fields));
        return Prefix + Convert.ToBase64String(mac);
    }

    /// <summary>Whether <paramref name="signature"/> is the signature of <paramref name="fields"/> under any configured key (constant time per key).</summary>
    public bool Verify(string? signature, params ReadOnlySpan<string?> fields)
    {
        if (signature is null || !signature.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(signature[Prefix.Length..], presented, out var written) || written != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        var encoded = Encode(fields);
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var valid = false;
        foreach (var key in Keys)
        {
            HMACSHA256.HashData(key, encoded, expected);
            valid |= CryptographicOperations.FixedTimeEquals(expected, presented);
        }

        return valid;
    }

    /// <summary>The base64 SHA-256 of <paramref name="text"/>'s UTF-8 bytes: how a body joins the signed fields.</summary>
    public static string HashOf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The bytes of a configured key, or <see langword="null"/> when it is not base64.</summary>
    public static byte[]? Decode(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(key.Trim());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    // Keys decoded once per options value, not once per message.
    private byte[][] Keys
    {
        get
        {
            var current = options.CurrentValue;
            var snapshot = Volatile.Read(ref _snapshot);
            if (snapshot is null || !ReferenceEquals(snapshot.Options, current))
            {
                snapshot = new Snapshot(current, [.. current.SigningKeys.Select(Decode).OfType<byte[]>()]);
                Volatile.Write(ref _snapshot, snapshot);
            }

            return snapshot.Keys;
        }
    }

    private static byte[] Encode(ReadOnlySpan<string?> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        foreach (var field in fields)
        {
            var length = field is null ? -1 : Encoding.UTF8.GetByteCount(field);
            BinaryPrimitives.WriteInt32BigEndian(buffer.GetSpan(4), length);
            buffer.Advance(4);
            if (field is not null)
            {
                buffer.Advance(Encoding.UTF8.GetBytes(field, buffer.GetSpan(length)));
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record Snapshot(MessageSigningOptions Options, byte[][] Keys);
}
