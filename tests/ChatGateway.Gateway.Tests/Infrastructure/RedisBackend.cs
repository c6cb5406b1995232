namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>Which Redis a test's gateway talks to. Routing tests run on both.</summary>
public enum RedisBackend
{
    /// <summary>Microsoft Garnet started in-process by the gateway (its embedded default).</summary>
    Garnet,

    /// <summary>A real redis-server process started by the tests.</summary>
    Redis,
}
