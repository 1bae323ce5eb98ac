using System.Net;
using System.Text;

namespace Messaging.CommandTypes.Tests.Providers.Credentials;

/// <summary>
/// A token endpoint as an HttpMessageHandler: issues <c>token-1</c>, <c>token-2</c>, … with a set
/// lifetime, can fail on demand, and can hold requests until released.
/// </summary>
internal sealed class FakeTokenEndpoint : HttpMessageHandler, IHttpClientFactory
{
    private readonly List<string> _forms = [];
    private TaskCompletionSource? _gate;
    private int _issued;
    private int _failed;

    public int LifetimeSeconds { get; set; } = 3600;

    /// <summary>When set, requests answer with this status instead of a token.</summary>
    public HttpStatusCode? FailWith { get; set; }

    public int RequestCount => Volatile.Read(ref _issued) + Volatile.Read(ref _failed);

    public IReadOnlyList<string> Forms
    {
        get
        {
            lock (_forms)
            {
                return [.. _forms];
            }
        }
    }

    /// <summary>Holds every request until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate?.TrySetResult();

    public HttpClient CreateClient(string name) => new(this, disposeHandler: false);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var form = await request.Content!.ReadAsStringAsync(cancellationToken);
        lock (_forms)
        {
            _forms.Add(form);
        }

        if (_gate is { } gate)
        {
            await gate.Task;
        }

        if (FailWith is { } status)
        {
            Interlocked.Increment(ref _failed);
            return new HttpResponseMessage(status) { Content = new StringContent("""{"error":"temporarily_unavailable"}""", Encoding.UTF8, "application/json") };
        }

        var number = Interlocked.Increment(ref _issued);
        var body = $$"""{"access_token":"token-{{number}}","token_type":"Bearer","expires_in":{{LifetimeSeconds}}}""";
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }
}
