using Messaging.Gateway.Commands;

namespace Messaging.Gateway.Tests.Commands;

public sealed class JsonContentTypeTests
{
    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=UTF-8", true)]
    [InlineData("application/json;charset=utf-8", true)]
    [InlineData("application/json; charset=iso-8859-1", false)]
    [InlineData("application/problem+json", false)]
    [InlineData("text/plain", false)]
    [InlineData(null, false)]
    public void IsJsonContentType_AcceptsJsonInUtf8Only(string? contentType, bool expected)
    {
        Assert.Equal(expected, CommandsEndpoints.IsJsonContentType(contentType));
    }
}
