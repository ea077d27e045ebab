using Seckill.Web.Cluster;

namespace Seckill.Web.Tests.Unit;

public sealed class ClusterMessageTests
{
    [Fact]
    public void AMessageOfTheKindGivesItsId()
    {
        Assert.Equal("sale:42", ClusterMessage.Format("sale:", 42));
        Assert.True(ClusterMessage.TryParse("sale:42", "sale:", out var id));
        Assert.Equal(42, id);
        Assert.True(ClusterMessage.TryParse("blacklist:" + long.MaxValue, "blacklist:", out id));
        Assert.Equal(long.MaxValue, id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sale:")]
    [InlineData("sale")]
    [InlineData("sold_out:42")]
    [InlineData("blacklist:42")]
    [InlineData("SALE:42")]
    [InlineData("sale:0")]
    [InlineData("sale:-1")]
    [InlineData("sale:+1")]
    [InlineData("sale: 1")]
    [InlineData("sale:1 ")]
    [InlineData("sale:1x")]
    [InlineData("sale:1.5")]
    [InlineData("sale:99999999999999999999")]
    public void AnythingElseIsNotThisKindsMessage(string? message)
    {
        Assert.False(ClusterMessage.TryParse(message, "sale:", out _));
    }
}
