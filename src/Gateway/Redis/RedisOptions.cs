namespace ChatGateway.Gateway.Redis;

internal sealed class RedisOptions
{
    /// <summary><c>ConnectionStrings:Redis</c>; empty runs Microsoft Garnet in-process.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Prefix of every key and channel, so several gateways (or tests) can share one server.</summary>
    public string KeyPrefix { get; set; } = "cg:";

    /// <summary>Port of the embedded Garnet server; 0 picks a free loopback port.</summary>
    public int EmbeddedPort { get; set; }

    /// <summary>Memory of the embedded Garnet log (allocated up front); routing state is small.</summary>
    public string EmbeddedMemory { get; set; } = "64m";
}
