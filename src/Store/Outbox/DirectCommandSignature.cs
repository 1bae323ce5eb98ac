using Messaging.Contracts;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Signing;

namespace Messaging.Store.Outbox;

/// <summary>
/// What the signature of a directly published command covers (header <c>Messaging-Signature</c>): everything a worker
/// creates the command's row from. The gateway signs the headers it sends and the payload the row will store; the
/// worker verifies the same fields read back from the delivery, so the two sides sign the same bytes: the payload is
/// <see cref="CommandRows.PayloadOf"/> of the message on both.
/// </summary>
public static class DirectCommandSignature
{
    private static readonly string[] SignedHeaders =
    [
        MessageHeaders.Tenant, MessageHeaders.Client, MessageHeaders.CommandType, MessageHeaders.Deadline, MessageHeaders.Attempt,
        MessageHeaders.AcceptedVia, MessageHeaders.IdempotencyKey, MessageHeaders.IdempotencyHash, MessageHeaders.IdempotencyExpires,
    ];

    /// <summary>The signature of <paramref name="message"/> with <paramref name="headers"/>, to send as <c>Messaging-Signature</c>.</summary>
    public static string Sign(MessageSigner signer, ICommandMessage message, Func<string, string?> headers)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Sign(Fields(message, headers));
    }

    /// <summary>Whether <paramref name="signature"/> signs <paramref name="message"/> with <paramref name="headers"/>.</summary>
    public static bool Verify(MessageSigner signer, string? signature, ICommandMessage message, Func<string, string?> headers)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return signer.Verify(signature, Fields(message, headers));
    }

    private static string?[] Fields(ICommandMessage message, Func<string, string?> headers)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(headers);
        var fields = new string?[SignedHeaders.Length + 4];
        fields[0] = "direct-command";
        fields[1] = message.CommandId.ToString("D");
        fields[2] = message.Tenant;
        for (var i = 0; i < SignedHeaders.Length; i++)
        {
            // A missing header and an empty one are the same to both sides.
            var value = headers(SignedHeaders[i]);
            fields[i + 3] = string.IsNullOrEmpty(value) ? null : value;
        }

        fields[^1] = MessageSigner.HashOf(CommandRows.PayloadOf(message));
        return fields;
    }
}
