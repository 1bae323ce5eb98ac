using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Messaging.CommandTypes.Http;

/// <summary>How the workers authenticate to a provider declared in configuration (section <c>ExternalServices:&lt;provider&gt;:Auth</c>).</summary>
public sealed class ProviderAuthOptions
{
    /// <summary><c>None</c>, <c>ApiKey</c>, <c>Bearer</c>, <c>Basic</c> or <c>OAuth2</c>.</summary>
    /// <value>The default value is <see cref="ProviderAuthKind.None"/>.</value>
    public ProviderAuthKind Kind { get; set; } = ProviderAuthKind.None;

    /// <summary>ApiKey: the header that carries the key.</summary>
    /// <value>The default value is <c>X-Api-Key</c>.</value>
    public string Header { get; set; } = "X-Api-Key";

    /// <summary>ApiKey: the key; Bearer: the static token. Never logged.</summary>
    public string? Value { get; set; }

    /// <summary>Basic: the user name.</summary>
    public string? Username { get; set; }

    /// <summary>Basic: the password. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>OAuth2: the token endpoint (client credentials), an absolute http(s) URL.</summary>
    public string? TokenUrl { get; set; }

    /// <summary>OAuth2: the client id.</summary>
    public string? ClientId { get; set; }

    /// <summary>OAuth2: the client secret. Never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>OAuth2: the scope to request, if the provider needs one.</summary>
    public string? Scope { get; set; }
}

/// <summary>Checks a provider's <see cref="ProviderAuthOptions"/> on start in the workers, naming the key that is missing.</summary>
internal sealed class ProviderAuthOptionsValidator(string provider, string section) : IValidateOptions<ProviderAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, ProviderAuthOptions options)
    {
        if (!string.Equals(name, provider, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        ArgumentNullException.ThrowIfNull(options);
        var key = section + ":Auth";
        var failures = new List<string>();
        void Require(string? value, string field)
        {
            if (string.IsNullOrEmpty(value))
            {
                failures.Add($"{key}:{field} is required when {key}:Kind is {options.Kind}.");
            }
        }

        switch (options.Kind)
        {
            case ProviderAuthKind.ApiKey:
                Require(options.Header, nameof(options.Header));
                Require(options.Value, nameof(options.Value));
                break;
            case ProviderAuthKind.Bearer:
                Require(options.Value, nameof(options.Value));
                break;
            case ProviderAuthKind.Basic:
                Require(options.Username, nameof(options.Username));
                Require(options.Password, nameof(options.Password));
                break;
            case ProviderAuthKind.OAuth2:
                Require(options.ClientId, nameof(options.ClientId));
                Require(options.ClientSecret, nameof(options.ClientSecret));
                if (!Providers.ProviderHttp.IsHttpUrl(options.TokenUrl))
                {
                    failures.Add($"{key}:TokenUrl must be an absolute http(s) URL when {key}:Kind is OAuth2.");
                }

                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Puts a provider's static credentials (ApiKey, Bearer, Basic) on every request attempt, read from its options so they reload.</summary>
internal sealed class StaticCredentialsHandler(IOptionsMonitor<ProviderAuthOptions> options, string provider) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var auth = options.Get(provider);
        switch (auth.Kind)
        {
            case ProviderAuthKind.ApiKey:
                request.Headers.Remove(auth.Header);
                request.Headers.TryAddWithoutValidation(auth.Header, auth.Value);
                break;
            case ProviderAuthKind.Bearer:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", auth.Value);
                break;
            case ProviderAuthKind.Basic:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{auth.Username}:{auth.Password}")));
                break;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
