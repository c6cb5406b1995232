using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Reports;

/// <summary>The supervisor's reports (section <c>Reports</c>).</summary>
internal sealed class ReportsOptions
{
    /// <summary>
    /// A customer's turn answered within this counts as answered in time (响应速度, what platforms such as Taobao and
    /// JD score a shop's service by). Distinct from <c>Routing:ResponseTarget</c>, the desk's alert.
    /// </summary>
    public TimeSpan ResponseTarget { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The longest range one report covers, in days (each query reads every message of its range).</summary>
    public int MaxDays { get; set; } = 366;
}

internal sealed class ReportsOptionsValidator : IValidateOptions<ReportsOptions>
{
    public ValidateOptionsResult Validate(string? name, ReportsOptions options)
    {
        var errors = new List<string>();
        if (options.ResponseTarget <= TimeSpan.Zero || options.ResponseTarget > TimeSpan.FromDays(1))
        {
            errors.Add($"Reports:ResponseTarget must be more than zero and at most a day (e.g. 00:03:00), not {options.ResponseTarget}.");
        }

        if (options.MaxDays is < 1 or > 3660)
        {
            errors.Add($"Reports:MaxDays must be from 1 to 3660, not {options.MaxDays}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal static class ReportsServiceCollectionExtensions
{
    public static IServiceCollection AddReports(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReportsOptions>().Bind(configuration.GetSection("Reports")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReportsOptions>, ReportsOptionsValidator>();
        services.AddSingleton<ReportQueries>();
        return services;
    }
}
