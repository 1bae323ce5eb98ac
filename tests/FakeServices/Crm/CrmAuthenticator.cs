using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Messaging.FakeServices.Instances;
using Messaging.FakeServices.Providers;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Crm;

/// <summary>
/// The CRM provider's authentication: the mode in force (configured by <c>FakeServices:Crm:Auth</c>,
/// changeable at run time through the control API) and the check of a request's credentials.
/// </summary>
internal sealed partial class CrmAuthenticator(IOptions<FakeServicesOptions> options, ILogger<CrmAuthenticator> logger)
{
    /// <summary>The header that carries the API key in the <see cref="CrmAuthMode.ApiKey"/> mode.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    private readonly CrmProviderOptions _options = options.Value.Crm;
    private int _mode = (int)options.Value.Crm.Auth;

    /// <summary>The mode in force.</summary>
    public CrmAuthMode Mode => (CrmAuthMode)Volatile.Read(ref _mode);

    public void SetMode(CrmAuthMode mode)
    {
        Volatile.Write(ref _mode, (int)mode);
        Log.AuthModeSet(logger, mode);
    }

    /// <summary>Restores the configured mode.</summary>
    public void ResetMode() => SetMode(_options.Auth);

    /// <summary>Whether the request carries the credentials <paramref name="mode"/> asks for.</summary>
    public bool IsAuthorized(HttpRequest request, CrmAuthMode mode) => mode switch
    {
        CrmAuthMode.None => true,
        CrmAuthMode.Basic => BasicMatches(request),
        CrmAuthMode.ApiKey => request.Headers[ApiKeyHeader] is { Count: 1 } keys && SecretEquals(keys[0], _options.ApiKey),
        CrmAuthMode.Bearer => SecretEquals(ProviderHeaders.BearerToken(request), _options.ApiKey),
        _ => false,
    };

    /// <summary>The <c>WWW-Authenticate</c> challenge of a 401 in <paramref name="mode"/>, or null (API key: none).</summary>
    public static string? Challenge(CrmAuthMode mode) => mode switch
    {
        CrmAuthMode.Basic => "Basic realm=\"fake-crm\"",
        CrmAuthMode.Bearer => "Bearer",
        _ => null,
    };

    private bool BasicMatches(HttpRequest request)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(header.Parameter))
        {
            return false;
        }

        string credentials;
        try
        {
            credentials = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true)
                .GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return false;
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        // Both compared, whatever the first result, so the time does not tell which one was wrong.
        var user = SecretEquals(credentials[..colon], _options.Username);
        var password = SecretEquals(credentials[(colon + 1)..], _options.Password);
        return user & password;
    }

    private static bool SecretEquals(string? presented, string expected) =>
        presented is not null
        && CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    private static partial class Log
    {
        [LoggerMessage(EventId = 703, EventName = "CrmAuthModeSet", Level = LogLevel.Information, Message = "CRM authentication mode set to {Mode}")]
        public static partial void AuthModeSet(ILogger logger, CrmAuthMode mode);
    }
}
