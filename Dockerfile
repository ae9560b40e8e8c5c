# utklar's pipeline (consumers, /health, /metrics, /status, optional simulator) for docker-compose.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY schemas ./schemas
COPY services ./services
COPY bin ./bin
ENV UTKLAR_HTTP_HOST=0.0.0.0
EXPOSE 18080
ENTRYPOINT ["node", "--require", "./services/kafka/kafkajs-aborted-filter.cjs", "--import", "tsx", "services/cli/main.ts"]
CMD ["run", "--simulate"]
