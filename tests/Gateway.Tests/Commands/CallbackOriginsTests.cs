using Messaging.Gateway.Commands;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.Tests.Commands;

/// <summary>
/// The allow-list (<c>Tenants:&lt;tenant&gt;:CallbackOrigins</c>) and the check of a callback URL against it, outside the
/// Testing environment the API tests run in: plain http only for loopback.
/// </summary>
public sealed class CallbackOriginsTests
{
    private static CallbackUrls UrlsIn(string environment, params string[] origins)
    {
        var options = new CallbackOriginsOptions();
        options.Tenants["t"] = [.. origins];
        return new CallbackUrls(new StaticOptions(options), new Environment(environment));
    }

    [Theory]
    [InlineData("https://hooks.example.com/cb", true)]
    [InlineData("http://hooks.example.com/cb", false)]
    [InlineData("http://127.0.0.1:5099/cb", true)]
    [InlineData("http://localhost:5099/cb", true)]
    [InlineData("http://[::1]:5099/cb", true)]
    public void Check_InProduction_TakesPlainHttpOnlyForLoopback(string url, bool accepted)
    {
        var urls = UrlsIn(Environments.Production, "https://hooks.example.com", "http://hooks.example.com", "http://127.0.0.1:5099",
            "http://localhost:5099", "http://[::1]:5099");

        Assert.Equal(accepted, urls.Check(url, "t", out var error) is not null);
        Assert.Equal(accepted, error.Length == 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" https://hooks.example.com/cb")]
    [InlineData("https://hooks.example.com/cb\n")]
    public void Check_RefusesEmptyAndSpacedValues(string url)
    {
        Assert.Null(UrlsIn(Environments.Production, "https://hooks.example.com").Check(url, "t", out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Check_MatchesTenantsExactly()
    {
        var urls = UrlsIn(Environments.Production, "https://hooks.example.com");

        Assert.NotNull(urls.Check("https://hooks.example.com/cb", "t", out _));
        Assert.Null(urls.Check("https://hooks.example.com/cb", "T", out _));
    }

    [Theory]
    [InlineData("https://hooks.example.com", "Production", true)]
    [InlineData("https://hooks.example.com/", "Production", true)]
    [InlineData("https://hooks.example.com:8443", "Production", true)]
    [InlineData("http://127.0.0.1:5099", "Production", true)]
    [InlineData("http://hooks.example.com", "Production", false)]
    [InlineData("http://hooks.example.com", "Development", true)]
    [InlineData("http://hooks.example.com", "Testing", true)]
    [InlineData("https://hooks.example.com/cb", "Production", false)]
    [InlineData("https://hooks.example.com?x=1", "Production", false)]
    [InlineData("https://hooks.example.com#x", "Production", false)]
    [InlineData("https://user:pw@hooks.example.com", "Production", false)]
    [InlineData("ftp://hooks.example.com", "Production", false)]
    [InlineData("hooks.example.com", "Production", false)]
    [InlineData("", "Production", false)]
    public void Validate_RefusesWhatIsNotAnOrigin_NamingTheKey(string origin, string environment, bool valid)
    {
        var options = new CallbackOriginsOptions();
        options.Tenants["acme"] = ["https://ok.example.com", origin];

        var result = new CallbackOriginsOptionsValidator(new Environment(environment)).Validate(null, options);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Tenants:acme:CallbackOrigins:1", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    private sealed class StaticOptions(CallbackOriginsOptions value) : IOptionsMonitor<CallbackOriginsOptions>
    {
        public CallbackOriginsOptions CurrentValue => value;

        public CallbackOriginsOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<CallbackOriginsOptions, string?> listener) => null;
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Gateway.Tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
