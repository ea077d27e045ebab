# Seckill.Web in two stages: the SDK image builds and publishes, the ASP.NET runtime image runs.
# (No Docker engine on our build machines: this file is kept correct by reading, and the
# `dotnet publish` it runs is the one `dotnet publish Seckill.Web -c Release` runs locally.)

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so that code changes reuse the restore layer.
COPY Directory.Build.props Directory.Packages.props appsettings.json ./
COPY Seckill.Web/Seckill.Web.csproj Seckill.Web/
RUN dotnet restore Seckill.Web/Seckill.Web.csproj
COPY Seckill.Web/ Seckill.Web/
RUN dotnet publish Seckill.Web/Seckill.Web.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
# Embedded mode keeps its SQLite file here; mount a volume to keep orders across containers.
RUN mkdir -p /data && chown "$APP_UID" /data
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8080 \
    Storage__SqlitePath=/data/seckill.db
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Seckill.Web.dll"]
