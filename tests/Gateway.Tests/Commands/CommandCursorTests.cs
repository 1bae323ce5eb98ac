using Messaging.Gateway.Commands;

namespace Messaging.Gateway.Tests.Commands;

public sealed class CommandCursorTests
{
    [Fact]
    public void Cursor_RoundTrips_AtMicrosecondPrecision()
    {
        var cursor = new CommandCursor(new DateTimeOffset(2031, 5, 4, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), Guid.CreateVersion7());

        var encoded = cursor.Encode();

        Assert.True(CommandCursor.TryDecode(encoded, out var decoded));
        Assert.Equal(cursor, decoded);
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.DoesNotContain('=', encoded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Cursor_Garbage_IsRefused(string value)
    {
        Assert.False(CommandCursor.TryDecode(value, out _));
    }
}
