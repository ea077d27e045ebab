using Seckill.Web.Stock;

namespace Seckill.Web.Tests.Unit;

public class SoldOutBoardTests
{
    [Fact]
    public void ASaleIsSoldOutOnceMarkedWithAFreshObservation()
    {
        var board = new SoldOutBoard();
        Assert.False(board.IsSoldOut(1, out var observed));
        Assert.True(board.TryMarkSoldOut(1, observed));
        Assert.True(board.IsSoldOut(1));
        Assert.False(board.IsSoldOut(2));
    }

    [Fact]
    public void StockReturnedAfterTheObservationWinsOverAStaleSoldOutMark()
    {
        var board = new SoldOutBoard();
        board.IsSoldOut(1, out var observed);
        board.StockReturned(1);
        Assert.False(board.TryMarkSoldOut(1, observed));
        Assert.False(board.IsSoldOut(1));
    }

    [Fact]
    public void StockReturnedClearsTheFlag()
    {
        var board = new SoldOutBoard();
        board.IsSoldOut(1, out var observed);
        board.TryMarkSoldOut(1, observed);
        board.StockReturned(1);
        Assert.False(board.IsSoldOut(1, out var again));
        Assert.True(board.TryMarkSoldOut(1, again));
    }
}
