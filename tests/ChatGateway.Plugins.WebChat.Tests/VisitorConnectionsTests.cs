using System.Diagnostics;
using System.Net.WebSockets;

using Microsoft.Extensions.Logging.Abstractions;

namespace ChatGateway.Plugins.WebChat.Tests;

public sealed class VisitorConnectionsTests
{
    [Fact]
    public void TryAdd_UpToTheLimit_AcceptsAndRefusesTheNext()
    {
        var connections = new VisitorConnections(NullLogger<VisitorConnections>.Instance);

        Assert.True(connections.TryAdd(Connection("v_1"), maxPerVisitor: 2));
        Assert.True(connections.TryAdd(Connection("v_1"), maxPerVisitor: 2));
        Assert.False(connections.TryAdd(Connection("v_1"), maxPerVisitor: 2));
        Assert.True(connections.TryAdd(Connection("v_2"), maxPerVisitor: 2));
        Assert.Equal(3, connections.Count);
    }

    [Fact]
    public void TryAdd_WhileTheVisitorsLastTabCloses_KeepsTheNewConnection()
    {
        // A visitor moving to the next page of the shop: the old page's socket closes while the new one
        // opens. The new connection must stay reachable, or replies stop arriving live.
        var connections = new VisitorConnections(NullLogger<VisitorConnections>.Instance);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 20_000 && clock.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            var closing = Connection("v_1");
            var opening = Connection("v_1");
            Assert.True(connections.TryAdd(closing, maxPerVisitor: 8));
            using var start = new Barrier(2);

            var remove = new Thread(() =>
            {
                start.SignalAndWait();
                connections.Remove(closing);
            });
            remove.Start();
            start.SignalAndWait();
            Assert.True(connections.TryAdd(opening, maxPerVisitor: 8));
            remove.Join();

            Assert.Equal(1, connections.Count);
            connections.Remove(opening);
        }
    }

    [Fact]
    public void TryAdd_ManyTabsOpeningAtOnce_NeverExceedsTheLimit()
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 2_000 && clock.Elapsed < TimeSpan.FromSeconds(2); i++)
        {
            var connections = new VisitorConnections(NullLogger<VisitorConnections>.Instance);
            var accepted = 0;
            using var start = new Barrier(4);
            var tabs = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                if (connections.TryAdd(Connection("v_1"), maxPerVisitor: 2))
                {
                    Interlocked.Increment(ref accepted);
                }
            })).ToList();
            tabs.ForEach(tab => tab.Start());
            tabs.ForEach(tab => tab.Join());

            Assert.Equal(2, accepted);
            Assert.Equal(2, connections.Count);
        }
    }

    private static VisitorConnection Connection(string visitorId) =>
        new(visitorId, WebSocket.CreateFromStream(Stream.Null, new WebSocketCreationOptions { IsServer = true }));
}
