using Seckill.Load.Measure;

namespace Seckill.Load.Tests;

public sealed class OutcomeTests
{
    [Theory]
    [InlineData(0, "timeout", true)]
    [InlineData(502, "unreadable_body", true)] // a gateway's page: the instance died mid-request
    [InlineData(504, null, true)]
    [InlineData(503, "unavailable", false)] // the service answered: nothing was taken
    [InlineData(502, "unavailable", false)]
    [InlineData(409, "sold_out", false)]
    [InlineData(202, null, false)]
    public void OnlyNoAnswerOrAGatewaysOwnErrorMeansTheServiceDidNotAnswer(int status, string? code, bool unanswered) =>
        Assert.Equal(unanswered, new Outcome(status, code).ServiceDidNotAnswer);
}
