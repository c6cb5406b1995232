using ChatGateway.Gateway.FollowUps.Scheduling;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Quartz;
using Quartz.Impl.AdoJobStore;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>Orders, follow-ups and the Quartz scheduler that fires them, on the store's database.</summary>
internal static class FollowUpsServiceCollectionExtensions
{
    public const string SchedulerName = "ChatGateway";

    public static IServiceCollection AddFollowUps(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FollowUpOptions>().Bind(configuration.GetSection("FollowUps"));
        services.AddSingleton<FollowUpSettings>();
        services.AddHostedService(sp => sp.GetRequiredService<FollowUpSettings>());
        services.AddOptions<SchedulerOptions>().Bind(configuration.GetSection("Scheduler")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>();
        services.AddSingleton<ShopTime>();
        services.AddSingleton<IFollowUpPlanner, FollowUpPlanner>();
        services.AddSingleton<IFollowUpFirer, FollowUpFirer>();
        services.AddSingleton<QuartzFollowUpScheduler>();
        services.AddSingleton<IFollowUpScheduler>(sp => sp.GetRequiredService<QuartzFollowUpScheduler>());
        services.AddSingleton<Orders.OrderService>();

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o => o.InstanceName = SchedulerName);
            q.UsePersistentStore(store =>
            {
                store.UseSystemTextJsonSerializer(_ => { });
                // Quartz creates its tables (QRTZ_*) in the store's database when they are missing: a store from
                // before gets them on its first start.
                store.ProvisionSchema();
                store.ConfigureStore(o => o.StoreJobDataAsStrings = true);
                // The database is the store's (SQLite or PostgreSQL), known once configuration is read: see below.
                store.UseDataSource(_ => { });
                store.UseDriverDelegate(sp => sp.GetRequiredService<IOptions<StoreOptions>>().Value.IsSqlite
                    ? ActivatorUtilities.CreateInstance<SQLiteDelegate>(sp)
                    : ActivatorUtilities.CreateInstance<PostgreSQLDelegate>(sp));
            });
            // A fire in flight on an instance that dies is run again at once by the others (the claim keeps it to one message).
            q.AddJob<FollowUpJob>(j => j.WithIdentity(QuartzFollowUpScheduler.Job).StoreDurably().RequestRecovery(true));
            q.AddJob<ReconcileFollowUpsJob>(j => j.WithIdentity(ReconcileFollowUpsJob.Key).StoreDurably());
            q.AddJob<PlanGreetingsJob>(j => j.WithIdentity(PlanGreetingsJob.Key).StoreDurably());
            q.AddTrigger(t => t.ForJob(ReconcileFollowUpsJob.Key).WithIdentity("reconcile", QuartzFollowUpScheduler.Group)
                .StartNow().WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(1)).RepeatForever()));
            q.AddTrigger((sp, t) => t.ForJob(PlanGreetingsJob.Key).WithIdentity("greetings", QuartzFollowUpScheduler.Group)
                .WithCronSchedule("0 5 0 * * ?", c => c.InTimeZone(sp.GetRequiredService<ShopTime>().Zone)));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddOptions<QuartzHostedServiceOptions>().Configure<IOptions<SchedulerOptions>>((h, s) => h.AutoStart = s.Value.Run);

        // The job store's database, delegate, clustering and pace follow the store's settings and Scheduler:*.
        services.AddOptions<DataSourceOptions>("quartz").Configure<IOptions<StoreOptions>>((ds, store) =>
        {
            var s = store.Value;
            ds.Provider = s.IsSqlite ? "SQLite-Microsoft" : "Npgsql";
            ds.ConnectionString = s.IsSqlite
                ? new SqliteConnectionStringBuilder(s.ConnectionString) { DefaultTimeout = 60, Pooling = true }.ToString()
                : StoreDialect.PostgreSqlConnectionString(s);
        });
        services.AddOptions<QuartzSchedulerOptions>().Configure<IOptions<SchedulerOptions>, GatewayInstance>((o, s, instance) =>
        {
            o.InstanceId = instance.Id;
            o.MaxBatchSize = s.Value.BatchSize;
            o.BatchTriggerAcquisitionFireAheadTimeWindow = s.Value.BatchWindow;
            o.IdleWaitTime = s.Value.IdleWait;
        });
        services.AddOptions<AdoJobStoreOptions>().Configure<IOptions<StoreOptions>>((o, store) => o.UseDbLocks |= !store.Value.IsSqlite);
        services.AddOptions<ThreadPoolOptions>().Configure<IOptions<SchedulerOptions>>((t, s) => t.MaxConcurrency = s.Value.Threads);
        services.AddOptions<ClusteringOptions>().Configure<IOptions<SchedulerOptions>, IOptions<StoreOptions>>((c, s, store) =>
        {
            // Quartz clusters on PostgreSQL only (it refuses SQLite's file locking). Instances sharing one SQLite file may
            // each fire a trigger; the follow-up's claim in the store lets one of them send it.
            c.Enabled = !store.Value.IsSqlite;
            c.CheckinInterval = s.Value.CheckinInterval;
            c.CheckinMisfireThreshold = s.Value.CheckinInterval * 2;
        });
        return services;
    }
}

/// <summary>How the scheduler runs (section <c>Scheduler</c>).</summary>
internal sealed class SchedulerOptions
{
    /// <summary>
    /// Whether this instance fires follow-ups. False: it still plans, lists, moves and cancels them (they wait in the job
    /// store), and another instance on the same store fires them.
    /// </summary>
    public bool Run { get; set; } = true;

    /// <summary>Follow-ups fired at once (at least <see cref="BatchSize"/>).</summary>
    public int Threads { get; set; } = 20;

    /// <summary>Due triggers taken from the store in one go.</summary>
    public int BatchSize { get; set; } = 20;

    /// <summary>How early a trigger may be taken with a batch (it still fires at its time).</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the scheduler sleeps when nothing is due, at most (new triggers wake it sooner on this instance).</summary>
    public TimeSpan IdleWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often each instance tells the cluster it is alive; a silent instance's fired triggers are recovered after twice this.</summary>
    public TimeSpan CheckinInterval { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class SchedulerOptionsValidator : IValidateOptions<SchedulerOptions>
{
    public ValidateOptionsResult Validate(string? name, SchedulerOptions o)
    {
        var errors = new List<string>();
        if (o.Threads is < 1 or > 200)
        {
            errors.Add("Scheduler:Threads must be from 1 to 200.");
        }

        if (o.BatchSize is < 1 or > 1000)
        {
            errors.Add("Scheduler:BatchSize must be from 1 to 1000.");
        }

        if (o.BatchSize > o.Threads)
        {
            errors.Add($"Scheduler:BatchSize ({o.BatchSize}) must not be more than Scheduler:Threads ({o.Threads}): triggers taken beyond the threads that run them wait on this instance.");
        }

        if (o.BatchWindow < TimeSpan.Zero || o.BatchWindow > TimeSpan.FromMinutes(1))
        {
            errors.Add("Scheduler:BatchWindow must be from 00:00:00 to 00:01:00.");
        }

        if (o.IdleWait < TimeSpan.FromSeconds(1) || o.IdleWait > TimeSpan.FromMinutes(5))
        {
            errors.Add("Scheduler:IdleWait must be from 00:00:01 to 00:05:00.");
        }

        if (o.CheckinInterval < TimeSpan.FromSeconds(1) || o.CheckinInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add("Scheduler:CheckinInterval must be from 00:00:01 to 00:05:00.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
