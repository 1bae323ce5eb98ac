using System.Text;
using System.Text.Json;

namespace Messaging.Load;

/// <summary>The request every scenario sends: a <c>notifications.send</c> body of about the requested size.</summary>
internal static class Payloads
{
    public static string NotificationJson(int bytes)
    {
        var empty = Build("");
        var body = new string('x', Math.Max(1, bytes - Encoding.UTF8.GetByteCount(empty)));
        return Build(body);
    }

    /// <summary>The body field of <see cref="NotificationJson"/>.</summary>
    public static string Body(int bytes)
    {
        using var document = JsonDocument.Parse(NotificationJson(bytes));
        return document.RootElement.GetProperty("body").GetString()!;
    }

    private static string Build(string body) =>
        JsonSerializer.Serialize(new { channel = "email", to = "load@example.org", subject = "Load", body });
}
