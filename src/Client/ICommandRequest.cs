namespace Messaging.Client;

/// <summary>
/// The body of one command type of the gateway's HTTP API (<c>POST /api/commands/{type}</c>). Only the
/// request fields: the command id is assigned by the gateway and the tenant comes from the access token.
/// </summary>
public interface ICommandRequest
{
    /// <summary>The command type name in the URL, for example <c>payments.charge</c>.</summary>
    static abstract string CommandType { get; }
}
