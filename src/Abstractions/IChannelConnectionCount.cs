namespace ChatGateway.Abstractions;

/// <summary>
/// How many customers' live connections (a web chat visitor's open page, its WebSocket) a channel instance holds on
/// this gateway process. A channel with <see cref="ChannelCapabilities.LiveConnection"/> may register one in its
/// services; the gateway reads it for its <c>chatgateway.visitor.connections</c> gauge, whenever the metrics are read.
/// </summary>
public interface IChannelConnectionCount
{
    /// <summary>Connections open now on this process; cheap to read and safe from any thread.</summary>
    int Count { get; }
}
