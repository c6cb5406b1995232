namespace ChatGateway.Gateway.Store;

internal sealed class StoreOptions
{
    /// <summary>SQLite connection string (<c>ConnectionStrings:Gateway</c>); the default is a file under ./data.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/gateway.db";

    /// <summary>Fsync every commit (synchronous=FULL). Off trades the last commits on power loss for speed.</summary>
    public bool Durable { get; set; } = true;
}
