using System.Buffers.Binary;
using System.Buffers.Text;

namespace Messaging.Gateway.Commands;

/// <summary>
/// The keyset position of a list page: the (created_at, id) of the last item shown. Opaque to clients
/// (base64url of a version byte, microseconds since the Unix epoch and the id). It is not signed: the
/// list query is always restricted to the caller's tenant, so a forged cursor can only skip rows.
/// </summary>
internal readonly record struct CommandCursor(DateTimeOffset CreatedAt, Guid Id)
{
    private const byte Version = 1;
    private const int Size = 1 + sizeof(long) + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Size];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], (CreatedAt - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
        Id.TryWriteBytes(bytes[9..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string value, out CommandCursor cursor)
    {
        cursor = default;
        Span<byte> bytes = stackalloc byte[Size];
        // TryDecodeFromChars only "tries" the destination size; invalid characters would throw.
        if (value.Length != Base64Url.GetEncodedLength(Size) || !Base64Url.IsValid(value)
            || !Base64Url.TryDecodeFromChars(value, bytes, out var written) || written != Size || bytes[0] != Version)
        {
            return false;
        }

        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (micros < 0 || micros > (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond)
        {
            return false;
        }

        cursor = new CommandCursor(DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond), new Guid(bytes[9..], bigEndian: true));
        return true;
    }
}
