using System.Net;

namespace Messaging.CommandTypes.Providers;

/// <summary>The token endpoint did not issue a usable access token.</summary>
internal sealed class TokenRequestException(string provider, string reason, bool isTransient, HttpStatusCode? statusCode = null, Exception? innerException = null)
    : ProviderException(provider, "token request " + reason, isTransient, statusCode, innerException);
