namespace Seckill.Web.Storage;

public static class StorageSetup
{
    /// <summary>
    /// Chooses the mode from the settings alone (ARCHITECTURE §1): no connection strings, the
    /// embedded mode; any of them, the clustered mode.
    /// </summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder) =>
        ClusteredStorageOptions.IsSelected(builder.Configuration) ? builder.AddClusteredStorage() : builder.AddEmbeddedStorage();
}
