namespace ChatGateway.Gateway.Store;

/// <summary>How <see cref="GatewayDbContext"/> stores values, for the statements written by hand.</summary>
internal static class StoredValues
{
    /// <summary>A Guid as EF Core's SQLite provider stores it: upper-case text.</summary>
    public static string Text(Guid id) => id.ToString("D").ToUpperInvariant();
}
