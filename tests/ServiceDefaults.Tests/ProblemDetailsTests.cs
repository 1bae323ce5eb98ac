using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Messaging.ServiceDefaults.Tests;

public sealed class ProblemDetailsTests
{
    private const string SecretMessage = "connection to db failed: Password=hunter2";

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Development", true)]
    [InlineData("Development", false)] // the developer exception page alone
    public async Task ThrowingEndpoint_ReturnsProblemWithTraceIdAndNoExceptionText(string environment, bool useExceptionHandler)
    {
        await using var app = await TestApplication.StartAsync(
            environment: environment,
            useExceptionHandler: useExceptionHandler,
            configureApp: a => a.MapGet("/boom", IResult () => throw new InvalidOperationException(SecretMessage)));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/boom", UriKind.Relative));
        request.Headers.Accept.ParseAdd("application/json");

        var response = await app.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        Assert.Matches("^[0-9a-f]{32}$", problem.GetProperty("traceId").GetString());
        Assert.False(problem.TryGetProperty("exception", out _));
        Assert.False(problem.TryGetProperty("detail", out _));
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.DoesNotContain("ThrowingEndpoint", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProblemResult_KeepsItsDetailAndGetsTraceId()
    {
        await using var app = await TestApplication.StartAsync(
            configureApp: a => a.MapGet("/conflict", () => TypedResults.Problem(detail: "The command is in flight.", statusCode: 409)));

        var response = await app.Client.GetAsync(new Uri("/conflict", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal("The command is in flight.", problem.GetProperty("detail").GetString());
        Assert.Matches("^[0-9a-f]{32}$", problem.GetProperty("traceId").GetString());
    }

    [Fact]
    public async Task UnknownRoute_ReturnsProblemWithTraceId()
    {
        await using var app = await TestApplication.StartAsync();

        var response = await app.Client.GetAsync(new Uri("/nowhere", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.True(problem.TryGetProperty("traceId", out _));
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("text/html, application/json;q=0")]
    [InlineData("image/png")]
    public async Task ABodyThatDoesNotBind_WithAnAcceptExcludingJson_IsStillAProblemJson(string accept)
    {
        await using var app = await TestApplication.StartAsync(
            configureApp: a => a.MapGet("/items", (int limit) => TypedResults.Ok(limit)));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/items?limit=abc", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept", accept);

        var response = await app.Client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Matches("^[0-9a-f]{32}$", problem.GetProperty("traceId").GetString());
    }
}
